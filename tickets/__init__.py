"""Requests (заявки): a resident reports a leak or a broken lift with photos and follows what
the HOA does about it; the office answers, assigns, sets deadlines and closes them.

models.py holds the tables, actions.py every change (audited, with its letters), letters.py the
letters, resident.py and office.py the two sides' pages.
"""
