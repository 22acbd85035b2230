"""Answering: from a question and its retrieved passages to an answer with verified citations.

Extractive quotes (answer, answer_type, quoting), or a language model's answer (llm, llm_answer,
prompts) whose citations are checked (verify); follow-ups (conversation).
"""
