"""Cmdlets, one module per noun group; each module registers its classes with @register."""
