package dev.netstack.launcher.bench;

/**
 * The outcome of one cell (a workload variant in one environment).
 *
 * @param cell           e.g. {@code tcp-rr-64}
 * @param env            {@code mem}, {@code tap}, {@code loopback} or {@code veth}
 * @param system         {@code netstack} or {@code kernel}
 * @param value          the figure, in {@code unit}; NaN when the cell failed
 * @param unit           e.g. {@code trans/s}, {@code Gbit/s}, {@code Mpps}
 * @param ops            operations counted in the window (transactions, connections, 1448-byte
 *                       segments, datagrams, frames: {@code op})
 * @param op             what one operation is
 * @param seconds        length of the window
 * @param latency        latency percentiles in microseconds (p50, p99, p99.9, p99.99), or null
 * @param allocBytesPerOp bytes allocated in the whole process per op, or NaN
 * @param gcCount        collections (pauses) during the window
 * @param gcPauseMs      their time
 * @param cpuUsPerOp     process CPU time per op, microseconds, or NaN
 * @param note           extra facts (e.g. datagrams sent), may be empty
 * @param error          why the cell failed, or null
 */
record CellResult(String cell, String env, String system, double value, String unit, long ops, String op, double seconds,
        double[] latency, double allocBytesPerOp, long gcCount, long gcPauseMs, double cpuUsPerOp, String note, String error) {

    static final double[] PERCENTILES = {50, 99, 99.9, 99.99};

    static CellResult failed(String cell, String env, String system, String unit, String error) {
        return new CellResult(cell, env, system, Double.NaN, unit, 0, "", 0, null, Double.NaN, 0, 0, Double.NaN, "", error);
    }

    static double[] latencyUs(LogLinearHistogram histogram) {
        if (histogram == null || histogram.count() == 0) {
            return null;
        }
        double[] us = new double[PERCENTILES.length];
        for (int i = 0; i < us.length; i++) {
            us[i] = histogram.percentile(PERCENTILES[i]) / 1000.0;
        }
        return us;
    }
}
