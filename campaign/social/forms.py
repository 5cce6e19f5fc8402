"""The campaign's clock: staff choose X post times in UK time, and the wall shows times in it.

The X account's forms are in `campaign.admin.forms.x_account`.
"""

from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
