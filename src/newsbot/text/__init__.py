"""Text processing: normalisation, sentence splitting and the one tokenizer for index and query."""

from newsbot.text.normalize import normalize
from newsbot.text.sentences import split_clauses, split_sentences
from newsbot.text.tokenizer import Tokenizer

__all__ = ["Tokenizer", "normalize", "split_clauses", "split_sentences"]
