"""config_files"""
