"""Answering: from a question and its retrieved passages to an answer with verified citations.

What every front end renders (results); extractive quotes (answer, answer_type, quoting, words,
picker), or a language model's answer (llm, llm_answer, prompts) whose citations are checked
(verify); follow-ups (conversation).
"""
