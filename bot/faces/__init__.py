"""bot/faces"""
