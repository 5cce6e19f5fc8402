"""Pledges: signing, confirming, managing, and the public wall."""
