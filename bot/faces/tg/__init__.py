"""The Telegram face of PolicyGuard (python-telegram-bot v22).

``app`` builds and runs the Application (one function registers every handler), ``handlers`` holds the
typed callbacks, ``forms`` the admins' guided /newpattern form, ``throttle`` the per-user flood guard,
``services`` what the callbacks share (the engine and the one thread it runs on). The conversation
itself — what to answer — lives in :mod:`bot.conversation`, shared with the terminal chat.
"""
