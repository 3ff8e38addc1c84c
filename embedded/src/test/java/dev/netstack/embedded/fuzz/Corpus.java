package dev.netstack.embedded.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The seed corpus: real frames captured with tcpdump between two Linux namespaces, stored as hex
 * under {@code src/test/resources/corpus/} ({@code #} starts a comment line). Seeds are also
 * handed to Jazzer by writing them into its generated corpus directory
 * ({@code .cifuzz-corpus/CLASS/METHOD} under the module), which it reads when fuzzing starts.
 */
final class Corpus {

    private Corpus() {
    }

    /** Every corpus frame by file name, in name order. */
    static Map<String, byte[]> frames() {
        URL root = Corpus.class.getResource("/corpus");
        if (root == null) {
            throw new IllegalStateException("the corpus directory is missing from the test class path");
        }
        Map<String, byte[]> frames = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(Path.of(root.toURI()))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".hex")).sorted().toList()) {
                StringBuilder hex = new StringBuilder();
                for (String line : Files.readAllLines(file)) {
                    if (!line.startsWith("#")) {
                        hex.append(line.strip());
                    }
                }
                frames.put(file.getFileName().toString(), HexFormat.of().parseHex(hex));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (frames.isEmpty()) {
            throw new IllegalStateException("the corpus is empty");
        }
        return frames;
    }

    /** The frames with the first {@code bytes} bytes (an Ethernet header, say) cut off, where long enough. */
    static List<byte[]> stripped(int bytes) {
        List<byte[]> out = new ArrayList<>();
        for (byte[] frame : frames().values()) {
            if (frame.length > bytes) {
                out.add(java.util.Arrays.copyOfRange(frame, bytes, frame.length));
            }
        }
        return out;
    }

    /** The ICMP messages of the corpus: frames carrying unfragmented IPv4 protocol 1, from the ICMP header on. */
    static List<byte[]> icmpMessages() {
        List<byte[]> out = new ArrayList<>();
        for (byte[] frame : frames().values()) {
            boolean ipv4 = frame.length > 34 && (frame[12] & 0xFF) == 0x08 && frame[13] == 0;
            if (ipv4 && frame[14 + 9] == 1 && ((frame[14 + 6] & 0x3F) | frame[14 + 7]) == 0) {
                int ihl = (frame[14] & 0x0F) * 4;
                out.add(java.util.Arrays.copyOfRange(frame, 14 + ihl, frame.length));
            }
        }
        return out;
    }

    /** Writes {@code seeds} where Jazzer looks for the generated corpus of {@code testClass}.{@code method}. */
    static void seedJazzer(Class<?> testClass, String method, List<byte[]> seeds) {
        Path dir = Path.of(".cifuzz-corpus", testClass.getName(), method);
        try {
            Files.createDirectories(dir);
            for (int i = 0; i < seeds.size(); i++) {
                Files.write(dir.resolve(String.format("seed-%03d", i)), seeds.get(i));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the fuzz seeds to " + dir.toAbsolutePath(), e);
        }
    }
}
