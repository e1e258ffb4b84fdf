"""bot/pipeline/rules"""
