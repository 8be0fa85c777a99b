/**
 * NPY and NPZ reading and writing, with sizes validated before anything is allocated.
 */
package dev.scissor.compressor.io;
