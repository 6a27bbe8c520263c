"""Reading inputs: subtitle files (SRT, WebVTT), transcript sheets and JSON into segments, job files."""
