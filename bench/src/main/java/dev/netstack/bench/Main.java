package dev.netstack.bench;

/**
 * Runs the JMH benchmarks of this module; arguments are JMH's ({@code -h} lists them), e.g.
 * {@code -f 1 -wi 2 -i 3 -w 1s -r 1s Checksum}.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        org.openjdk.jmh.Main.main(args);
    }
}
