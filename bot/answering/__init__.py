"""Answering: from a question and its retrieved passages to an answer with verified citations.

What every front end renders (results); extractive quotes (answer, features, names, answer_type,
quoting, words, picker), or a language model's answer (llm/: the backends and the answerer, with
prompts) whose citations are checked (verify); follow-ups (conversation).
"""
