"""The five intake channels besides the hotline's own form: pure parsers to order drafts."""
