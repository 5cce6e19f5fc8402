"""The campaign's X account: the API client and the posts it sends and reads."""
