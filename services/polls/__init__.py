"""Polls service: surveys and binding project votes, ballots, ballot log, results."""
