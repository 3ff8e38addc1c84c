package dev.netstack.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlClientTest {

    @TempDir
    Path dir;

    @Test
    void plainWordsStayAsTheyAre() {
        assertEquals("arp add eth0 198.18.0.1 02:00:00:00:00:01", ControlClient.commandLine(
                List.of("arp", "add", "eth0", "198.18.0.1", "02:00:00:00:00:01")));
        assertEquals("stats -a", ControlClient.commandLine(List.of("stats", "-a")));
    }

    @Test
    void wordsGogoWouldSplitOrExpandAreQuoted() {
        assertEquals("echo \"a b\" \"\\$x\" \"say \\\"hi\\\"\" \"a;b\"",
                ControlClient.commandLine(List.of("echo", "a b", "$x", "say \"hi\"", "a;b")));
    }

    @Test
    void saysWhenNoStackRunsInTheRunDirectory() throws IOException {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ControlClient.run(dir, List.of("lb"), new ByteArrayInputStream(new byte[0]),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(ControlClient.NOT_RUNNING, status);
        assertEquals("netstack: no netstack is running in " + dir + ": start one with ./netstack run, or pass --run DIR.\n",
                err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aLeftoverSocketFileIsNotARunningStack() throws IOException {
        Path socket = Files.createFile(dir.resolve(ControlClient.SOCKET));
        assertFalse(ControlClient.isRunning(socket));
    }
}
