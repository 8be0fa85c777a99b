/**
 * Image coding with the FFmpeg libraries that JavaCV bundles: {@link
 * dev.scissor.encoder.media.FfmpegJpegEncoder} compresses captured frames, {@link
 * dev.scissor.encoder.media.FfmpegImageDecoder} turns JPEG, PNG or raw BGR24 frames back into
 * pixels for the encoder (refusing corrupt and oversized images), and {@link
 * dev.scissor.encoder.media.Ffmpeg} does the one-time set-up (log level, libavdevice).
 */
package dev.scissor.encoder.media;
