"""Compiler passes. Each module has one entry function: tree in, tree out."""
