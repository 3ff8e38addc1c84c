package dev.netstack.test;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.PacketBuffer;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

class LeakCheckTest {

    @Test
    void passesWhenPoolsAreBackAtBaseline() {
        MemoryLink link = MemoryLink.create();
        PacketBuffer held = link.a().pool(0).allocate();
        LeakCheck leaks = LeakCheck.of(link.a(), link.b());
        PacketBuffer b = link.b().pool(0).allocate();
        assertEquals(1, leaks.leaked());
        b.release();
        leaks.assertNoLeaks();
        held.release();
        assertEquals(-1, leaks.leaked());
    }

    @Test
    void failureNamesThePool() {
        MemoryLink link = MemoryLink.create();
        LeakCheck leaks = LeakCheck.of(link.a().pool(0));
        link.a().pool(0).allocate();
        AssertionFailedError e = assertThrows(AssertionFailedError.class, leaks::assertNoLeaks);
        assertEquals("buffer leak: pool memory-a has 1 buffers in use, 0 before", e.getMessage());
    }
}
