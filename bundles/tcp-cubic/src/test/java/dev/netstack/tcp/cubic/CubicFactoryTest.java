package dev.netstack.tcp.cubic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.TypeLiteral;
import com.google.inject.multibindings.Multibinder;
import dev.netstack.tcp.CongestionControl;
import dev.netstack.tcp.CongestionControlFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;

class CubicFactoryTest {

    @Test
    void constructsWithoutAnyContainer() {
        CongestionControlFactory factory = new CubicFactory();
        assertEquals("cubic", factory.name());
        CongestionControl a = factory.create(1460, 123L);
        CongestionControl b = factory.create(536, 123L);
        assertInstanceOf(Cubic.class, a);
        assertNotSame(a, b);
        assertEquals(14_600, a.cwndBytes());
        assertEquals(5_360, b.cwndBytes());
        assertTrue(a.ssthreshBytes() == Long.MAX_VALUE);
        assertEquals("cubic", a.name());
    }

    @Test
    void guiceBuildsTheFactoryForEmbeddedStacks() {
        Injector injector = Guice.createInjector(new AbstractModule() {
            @Override
            protected void configure() {
                Multibinder.newSetBinder(binder(), CongestionControlFactory.class).addBinding().to(CubicFactory.class);
            }
        });
        Set<CongestionControlFactory> factories = injector.getInstance(Key.get(new TypeLiteral<Set<CongestionControlFactory>>() { }));
        assertEquals(1, factories.size());
        assertEquals("cubic", factories.iterator().next().create(1460, 0).name());
    }

    /**
     * The bundle imports the SPI package, exports only its own package and registers the factory
     * with {@code tcp.cc=cubic}. Reads the manifest bnd wrote in process-classes.
     */
    @Test
    void manifestImportsTheSpiAndExportsOnlyItsOwnPackage() throws IOException {
        Path path = Path.of("target/classes/META-INF/MANIFEST.MF");
        assertTrue(Files.exists(path), "bnd did not write " + path.toAbsolutePath());
        Manifest manifest;
        try (InputStream in = Files.newInputStream(path)) {
            manifest = new Manifest(in);
        }
        Attributes main = manifest.getMainAttributes();
        assertEquals("dev.netstack.tcp-cubic", main.getValue("Bundle-SymbolicName"));
        String imports = main.getValue("Import-Package");
        assertTrue(imports.matches("(^|.*,)dev\\.netstack\\.tcp;version=\"\\[0\\.[0-9]+,1\\)\"(,.*|$)"), imports);
        String exports = main.getValue("Export-Package");
        assertTrue(exports.matches("dev\\.netstack\\.tcp\\.cubic;version=\"0\\.1\\.0\"(;uses:=\"dev\\.netstack\\.tcp\")?"), exports);
        assertTrue(!imports.contains("jakarta") && !imports.contains("com.google") && !imports.contains("newreno"), imports);
        assertEquals("OSGI-INF/dev.netstack.tcp.cubic.CubicFactory.xml", main.getValue("Service-Component"));
        String component = Files.readString(Path.of("target/classes/OSGI-INF/dev.netstack.tcp.cubic.CubicFactory.xml"));
        assertTrue(component.contains("name=\"tcp.cc\"") && component.contains("value=\"cubic\""), component);
        assertTrue(component.contains("interface=\"dev.netstack.tcp.CongestionControlFactory\""), component);
    }

    /** Acks, a loss, recovery, more acks and an RTO; the windows after each step. */
    private static java.util.List<Long> drive(CongestionControl cc, long startNs) {
        java.util.List<Long> windows = new java.util.ArrayList<>();
        long now = startNs;
        for (int i = 0; i < 40; i++) {
            now += 1_000_000L;
            cc.onAck(1460, 20_000_000L + i * 100_000L, 30 * 1460, now);
            windows.add(cc.cwndBytes());
        }
        cc.onEnterRecovery(40 * 1460, now);
        windows.add(cc.ssthreshBytes());
        cc.onExitRecovery(20 * 1460, now + 20_000_000L);
        for (int i = 0; i < 40; i++) {
            now += 25_000_000L;
            cc.onAck(1460, 21_000_000L, 20 * 1460, now);
            windows.add(cc.cwndBytes());
        }
        cc.onRetransmissionTimeout(20 * 1460, now);
        windows.add(cc.cwndBytes());
        windows.add(cc.ssthreshBytes());
        return windows;
    }

    @Test
    void recycleResetsAnInstanceToTheStateOfANewOne() {
        CongestionControlFactory factory = new CubicFactory();
        CongestionControl used = factory.create(1460, 0);
        drive(used, 0);
        CongestionControl recycled = factory.recycle(used, 1200, 5_000_000_000L);
        assertSame(used, recycled, "the instance is reused");
        CongestionControl fresh = factory.create(1200, 5_000_000_000L);
        assertEquals(fresh.cwndBytes(), recycled.cwndBytes());
        assertEquals(fresh.ssthreshBytes(), recycled.ssthreshBytes());
        assertEquals(drive(fresh, 5_000_000_000L), drive(recycled, 5_000_000_000L));
    }

    @Test
    void recycleNonDefaultInstanceCreatesANewOne() {
        CongestionControl custom = new Cubic(1460, 0, false, true);
        CongestionControl next = new CubicFactory().recycle(custom, 1460, 0);
        assertNotSame(custom, next);
        assertEquals(14_600, next.cwndBytes());
    }
}
