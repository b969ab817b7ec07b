"""Polls (опросы): a question with options put to an HOA's residents, one answer per account,
counted per account or per square metre of the account's area. No legal form: general
meetings with their register, ballots and protocol are a feature of their own."""
