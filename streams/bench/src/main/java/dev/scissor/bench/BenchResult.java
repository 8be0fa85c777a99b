package dev.scissor.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One case's figures, as {@link BenchDriver} measured them and {@link BenchReport} prints them. */
final class BenchResult {
    final int streams;
    double framesPerSecond;
    double windowsPerSecond;
    double[] frameRange;
    double offered;
    double perStream;
    boolean overloaded;
    int latencyWindows;
    double p50;
    double p99;
    double maxLatency;
    long deadLetters;
    CpuSnapshot cpu;
    long cpuFrames;
    /** Bytes the broker took in per frame processed, KB, by part (topic). */
    final Map<String, Double> kbPerFrame = new LinkedHashMap<>();

    double computeMsPerFrame;
    /** Heap and state-directory samples over the case. */
    final List<ResourceSampler.Sample> samples = new ArrayList<>();

    BenchResult(final int streams) {
        this.streams = streams;
    }
}
