"""Script alignment: times for a script's lines from the audio (eSpeak NG, MFCCs, DTW)."""
