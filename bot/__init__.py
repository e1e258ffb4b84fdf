"""PolicyGuard (保单卫士): scam analysis for insurance policyholders.

The engine (everything in this package except ``bot.tg``) is pure Python with no Telegram import;
the Telegram bot, the terminal chat and the command line are thin faces over :class:`bot.engine.Engine`.
"""

__version__ = "0.1.0"
