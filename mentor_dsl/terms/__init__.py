"""Reward terms: the definition type and the built-in catalogue."""

from .base import Term, TermParam

__all__ = ["Term", "TermParam"]
