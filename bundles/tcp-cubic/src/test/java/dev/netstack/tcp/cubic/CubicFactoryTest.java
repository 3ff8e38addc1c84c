package dev.netstack.tcp.cubic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
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
        assertTrue(imports.matches("(^|.*,)dev\\.netstack\\.tcp;version=\"\\[0\\.1,1\\)\"(,.*|$)"), imports);
        String exports = main.getValue("Export-Package");
        assertTrue(exports.matches("dev\\.netstack\\.tcp\\.cubic;version=\"0\\.1\\.0\"(;uses:=\"dev\\.netstack\\.tcp\")?"), exports);
        assertTrue(!imports.contains("jakarta") && !imports.contains("com.google") && !imports.contains("newreno"), imports);
        assertEquals("OSGI-INF/dev.netstack.tcp.cubic.CubicFactory.xml", main.getValue("Service-Component"));
        String component = Files.readString(Path.of("target/classes/OSGI-INF/dev.netstack.tcp.cubic.CubicFactory.xml"));
        assertTrue(component.contains("name=\"tcp.cc\"") && component.contains("value=\"cubic\""), component);
        assertTrue(component.contains("interface=\"dev.netstack.tcp.CongestionControlFactory\""), component);
    }
}
