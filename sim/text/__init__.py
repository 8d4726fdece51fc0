"""Text for people: the planned timeline, one replication told as sentences, summary tables, numbers.
"""
