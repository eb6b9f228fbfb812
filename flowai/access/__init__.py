"""Access: password hashing and sign-in tokens (``auth``), API keys with scopes and rate limits
(``keys``) and accounts (``users``).

May import ``flowai.errors`` and ``storage``; nothing else of FlowAI.
"""
