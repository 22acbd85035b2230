"""Answers written by a language model: the backends' interface (model.py), newsbot's two
backends, and the answerer that prompts them and verifies their citations (answerer.py)."""
