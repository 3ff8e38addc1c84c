package dev.netstack.embedded.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Every fuzz target behind one, for the bounded fuzzing run of the build: Jazzer fuzzes one test
 * per JVM and a fuzzing JVM takes seconds to start, so CI fuzzes this one (JAZZER_FUZZ=1, the
 * {@code fuzz} execution of this module's pom) instead of five. The first input byte picks the
 * target; the rest is its input. Each target also has its own class, to fuzz it alone for longer:
 * {@code JAZZER_FUZZ=1 mvn -pl embedded -am verify -Dtest=Ipv4HeaderFuzzTest}.
 */
class AllTargetsFuzzTest {

    private static ReceivePathTarget receivePath;
    private static List<Consumer<byte[]>> targets;

    @BeforeAll
    static void start() {
        receivePath = new ReceivePathTarget();
        targets = List.of(EthernetHeaderFuzzTest::check, ArpPacketFuzzTest::check, Ipv4HeaderFuzzTest::check,
                IcmpHeaderFuzzTest::check, receivePath::check);
        List<byte[]> seeds = new ArrayList<>();
        addSeeds(seeds, 0, new ArrayList<>(Corpus.frames().values()));
        addSeeds(seeds, 1, Corpus.stripped(14));
        addSeeds(seeds, 2, Corpus.stripped(14));
        addSeeds(seeds, 3, Corpus.icmpMessages());
        addSeeds(seeds, 4, ReceivePathTarget.seeds());
        Corpus.seedJazzer(AllTargetsFuzzTest.class, "fuzz", seeds);
    }

    private static void addSeeds(List<byte[]> seeds, int target, List<byte[]> inputs) {
        for (byte[] input : inputs) {
            byte[] seed = new byte[input.length + 1];
            seed[0] = (byte) target;
            System.arraycopy(input, 0, seed, 1, input.length);
            seeds.add(seed);
        }
    }

    @AfterAll
    static void stop() {
        if (receivePath != null) {
            receivePath.close();
        }
    }

    @FuzzTest(maxDuration = "10s")
    void fuzz(byte[] data) {
        if (data.length == 0) {
            return;
        }
        targets.get((data[0] & 0xFF) % targets.size()).accept(Arrays.copyOfRange(data, 1, data.length));
    }
}
