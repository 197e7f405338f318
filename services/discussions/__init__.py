"""Discussions service: drafts, comment periods, comments, moderation, reports."""
