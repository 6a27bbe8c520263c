"""Facts about the media and the tools that read them: the ffmpeg runner, probing, shot changes, speech, fonts."""
