"""Procurement spend: parsing and importing files, suppliers, contracts."""
