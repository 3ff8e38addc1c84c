package dev.netstack.test;

import static org.junit.jupiter.api.Assertions.*;

import java.io.UncheckedIOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ExecTest {

    @Test
    void capturesOutputAndExitCode() {
        Exec.Result r = Exec.run("sh", "-c", "echo out; echo err >&2; exit 3");
        assertEquals(3, r.exitCode());
        assertEquals("out\n", r.stdout());
        assertEquals("err\n", r.stderr());
        assertFalse(r.ok());
        IllegalStateException e = assertThrows(IllegalStateException.class, r::check);
        assertTrue(e.getMessage().startsWith("sh -c echo out; echo err >&2; exit 3: exit 3"), e.getMessage());
        assertTrue(Exec.run("true").check().ok());
    }

    @Test
    void killsAProcessThatRunsPastItsTimeout() {
        long start = System.nanoTime();
        Exec.Result r = Exec.run(Duration.ofMillis(200), "sleep", "30");
        assertTrue(r.timedOut());
        assertEquals(-1, r.exitCode());
        assertTrue(System.nanoTime() - start < 10_000_000_000L);
    }

    @Test
    void saysWhenTheProgramCannotStart() {
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Exec.run("/nonexistent/program"));
        assertTrue(e.getMessage().startsWith("cannot run /nonexistent/program"), e.getMessage());
    }
}
