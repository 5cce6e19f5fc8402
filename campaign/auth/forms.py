"""The staff sign-in form."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length


class SignInForm(FlaskForm):
    """Email and password, with errors written as instructions."""

    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter your email address"), Length(max=254, message="Enter an email address of 254 characters or fewer")],
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password"), Length(max=200, message="Enter a password of 200 characters or fewer")],
    )
