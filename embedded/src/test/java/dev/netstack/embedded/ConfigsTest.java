package dev.netstack.embedded;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ethernet.internal.EthernetConfig;
import dev.netstack.ip.internal.InterfaceAddressConfig;
import dev.netstack.ip.internal.IpConfig;
import dev.netstack.ip.internal.RouteConfig;
import dev.netstack.nic.tap.internal.TapConfiguration;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigsTest {

    enum Mode { FAST, SLOW }

    @Retention(RetentionPolicy.RUNTIME)
    @interface Sample {
        int count() default 3;
        boolean on() default true;
        double ratio() default 0.5;
        Mode mode() default Mode.SLOW;
        int[] ports() default {1, 2};
        String a$_$b() default "dash";
        String a__b() default "under";
        String required();
    }

    @Test
    void absentPropertiesTakeTheMetatypeDefaults() {
        IpConfig ip = Configs.defaults(IpConfig.class);
        assertEquals(64, ip.ttl());
        assertEquals(30_000, ip.reassembly_timeout_ms());
        assertEquals(4L << 20, ip.reassembly_memory_bytes());
        assertEquals(100, ip.icmp_rate_per_second());
        EthernetConfig eth = Configs.defaults(EthernetConfig.class);
        assertEquals(3, eth.arp_retries());
        assertArrayEquals(new String[0], eth.multicast());
        assertEquals(4096, Configs.defaults(TapConfiguration.class).pool_buffers());
    }

    @Test
    void dottedPropertyNamesMapToUnderscoredMethods() {
        IpConfig ip = Configs.of(IpConfig.class, Map.of("reassembly.timeout.ms", 5000, "ttl", "32"));
        assertEquals(5000, ip.reassembly_timeout_ms());
        assertEquals(32, ip.ttl());
        TapConfiguration tap = Configs.of(TapConfiguration.class, Map.of("host.address", "198.18.0.1/24"));
        assertEquals("198.18.0.1/24", tap.host_address());
    }

    @Test
    void dollarNamesFollowTheDsMapping() {
        assertEquals("interface", Configs.propertyName("interface$"));
        assertEquals("a-b", Configs.propertyName("a$_$b"));
        assertEquals("a_b", Configs.propertyName("a__b"));
        assertEquals("a$b", Configs.propertyName("a$$b"));
        assertEquals("arp.timeout.ms", Configs.propertyName("arp_timeout_ms"));
        RouteConfig route = Configs.of(RouteConfig.class, Map.of("interface", "eth1", "gateway", "198.18.0.1"));
        assertEquals("eth1", route.interface$());
        assertEquals("default", route.destination());
        Sample sample = Configs.of(Sample.class, Map.of("a-b", "x", "a_b", "y"));
        assertEquals("x", sample.a$_$b());
        assertEquals("y", sample.a__b());
    }

    @Test
    void valuesAreConvertedToTheReturnType() {
        Sample sample = Configs.of(Sample.class, Map.of("count", "0x10", "on", "false", "ratio", 2, "mode", "FAST",
                "ports", List.of(80, "443")));
        assertEquals(16, sample.count());
        assertEquals(false, sample.on());
        assertEquals(2.0, sample.ratio());
        assertSame(Mode.FAST, sample.mode());
        assertArrayEquals(new int[] {80, 443}, sample.ports());
        EthernetConfig eth = Configs.of(EthernetConfig.class, Map.of("multicast", "01:00:5e:00:00:01"));
        assertArrayEquals(new String[] {"01:00:5e:00:00:01"}, eth.multicast());
    }

    @Test
    void missingValueWithoutDefaultIsNullAsInDs() {
        assertNull(Configs.defaults(Sample.class).required());
        assertNull(Configs.defaults(InterfaceAddressConfig.class).address());
    }

    @Test
    void badValueIsReportedWithItsPropertyName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Configs.of(IpConfig.class, Map.of("ttl", "sixty")));
        assertTrue(e.getMessage().contains("ttl"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Configs.of(IpConfig.class, Map.of("ttl", 1L << 40)));
        assertThrows(IllegalArgumentException.class, () -> Configs.of(Sample.class, Map.of("mode", "MEDIUM")));
    }

    @Test
    void honoursTheAnnotationContract() {
        IpConfig a = Configs.of(IpConfig.class, Map.of("ttl", 10));
        IpConfig b = Configs.of(IpConfig.class, Map.of("ttl", 10));
        IpConfig c = Configs.of(IpConfig.class, Map.of("ttl", 11));
        assertEquals(IpConfig.class, a.annotationType());
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, c);
        assertTrue(a.toString().contains("ttl=10"), a.toString());
        Sample sample = Configs.defaults(Sample.class);
        sample.ports()[0] = 99;
        assertEquals(1, sample.ports()[0], "arrays are copied on every call");
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void rejectsTypesThatAreNotAnnotations() {
        assertThrows(IllegalArgumentException.class, () -> Configs.of((Class) String.class, Map.of()));
    }
}
