/**
 * The demo: the whole pipeline on a real clip in one JVM (in-process broker, capture, encoder, compressor, QA service), with progress, a summary and pictures.
 */
package dev.scissor.demo;
