"""Question → answer text, sources and ``found``; knows nothing of Telegram."""

from newsbot.responder.answer import Answer, Source
from newsbot.responder.question import Question, analyse
from newsbot.responder.responder import Responder

__all__ = ["Answer", "Question", "Responder", "Source", "analyse"]
