package dev.netstack.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.launcher.CommandLine.Console;
import dev.netstack.launcher.CommandLine.Help;
import dev.netstack.launcher.CommandLine.RunOptions;
import dev.netstack.launcher.CommandLine.ShellCall;
import dev.netstack.launcher.CommandLine.Start;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandLineTest {

    private static RunOptions run(String... args) throws UsageException {
        return assertInstanceOf(Start.class, CommandLine.parse(args)).options();
    }

    private static String error(String... args) {
        return assertThrows(UsageException.class, () -> CommandLine.parse(args)).getMessage();
    }

    @Test
    void runWithoutOptionsLeavesEverythingToTheFiles() throws UsageException {
        RunOptions options = run("run");
        assertEquals(new RunOptions(null, CommandLine.DEFAULT_RUN_DIR, null, null, null, null, null, null, null, null,
                null, Console.AUTO, false), options);
        assertTrue(!options.configuresNic());
    }

    @Test
    void runTakesEveryOption() throws UsageException {
        RunOptions options = run("run", "--config", "/c", "--run", "/r", "--backend", "tap", "--tap", "nse-tap0",
                "--address", "198.18.0.2/24", "--gateway", "198.18.0.1", "--host-address", "198.18.0.1/24",
                "--mac", "02:AA:00:00:00:01", "--mtu", "9000", "--shards", "2", "--idle", "spin", "--no-console");
        assertEquals(new RunOptions(Path.of("/c"), Path.of("/r"), "tap", "nse-tap0", "198.18.0.2/24", "198.18.0.1",
                "198.18.0.1/24", "02:aa:00:00:00:01", 9000, 2, "spin", Console.OFF, false), options);
        assertTrue(options.configuresNic());
    }

    @Test
    void optionsTakeTheirValueAfterAnEqualsSign() throws UsageException {
        RunOptions options = run("run", "--tap=nse-tap1", "--mtu=1400", "--console");
        assertEquals("nse-tap1", options.tap());
        assertEquals(1400, options.mtu());
        assertEquals(Console.ON, options.console());
    }

    @Test
    void demoFillsInTheDemoNetwork() throws UsageException {
        RunOptions options = run("demo");
        assertEquals("tap", options.backend());
        assertEquals("ns0", options.tap());
        assertEquals("198.18.0.2/24", options.address());
        assertEquals("198.18.0.1/24", options.hostAddress());
        assertEquals("198.18.0.1", options.gateway());
    }

    @Test
    void demoOptionsOverrideTheDemoDefaults() throws UsageException {
        RunOptions options = run("demo", "--tap", "nse-demo", "--address", "198.19.0.2/16");
        assertEquals("nse-demo", options.tap());
        assertEquals("198.19.0.2/16", options.address());
        assertEquals("198.18.0.1/24", options.hostAddress());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            --address|198.18.0.2|--address needs an IPv4 address with a prefix length, not '198.18.0.2' (for example 198.18.0.2/24).
            --address|198.18.0.256/24|--address has a bad IPv4 address '198.18.0.256' (for example 198.18.0.2/24).
            --address|198.18.0.2/33|--address has a bad prefix length '33': use 0 to 32 (for example 198.18.0.2/24).
            --address|198.18.0/24|--address has a bad IPv4 address '198.18.0' (for example 198.18.0.2/24).
            --host-address|1.2.3.4/x|--host-address has a bad prefix length 'x': use 0 to 32 (for example 198.18.0.2/24).
            --gateway|198.18.0.1/24|--gateway needs an IPv4 address such as 198.18.0.1, not '198.18.0.1/24'.
            --mac|02:00:00:00:00|--mac needs a MAC address of six hex pairs such as 02:00:00:00:00:01, not '02:00:00:00:00'.
            --mac|02:00:00:00:00:0g|--mac needs a MAC address of six hex pairs such as 02:00:00:00:00:01, not '02:00:00:00:00:0g'.
            --mac|01:00:5e:00:00:01|--mac 01:00:5e:00:00:01 is a multicast address: use a unicast one such as 02:00:00:00:00:01.
            --mtu|67|--mtu needs a whole number from 68 to 65535, not '67'.
            --mtu|big|--mtu needs a whole number from 68 to 65535, not 'big'.
            --shards|0|--shards needs a whole number from 1 to 1024, not '0'.
            --idle|sleep|unknown idle strategy 'sleep': use backoff, spin, yield, poll.
            --backend|dpdk|unknown backend 'dpdk': the backends are tap, virtio, ixgbe.
            --tap|averyveryverylongname|--tap needs a Linux interface name of 1 to 15 characters without '/', ':' or spaces, not 'averyveryverylongname'.
            """)
    void rejectsABadValueInOneSentence(String option, String value, String message) {
        assertEquals(message, error("run", option, value));
    }

    @Test
    void rejectsAnUnknownOption() {
        assertEquals("unknown option '--frobnicate' for run: see ./netstack run --help.", error("run", "--frobnicate"));
        assertEquals("unknown option '--tapp' for demo: see ./netstack demo --help.", error("demo", "--tapp=x"));
    }

    @Test
    void rejectsAnOptionWithoutItsValue() {
        assertEquals("--tap needs a value: see ./netstack run --help.", error("run", "--tap"));
        assertEquals("--tap needs a value: see ./netstack run --help.", error("run", "--tap", "--mtu", "1500"));
        assertEquals("--tap needs a value: see ./netstack help.", error("run", "--tap="));
    }

    @Test
    void rejectsAStrayArgument() {
        assertEquals("unexpected argument 'ns0' for run: see ./netstack run --help.", error("run", "ns0"));
    }

    @Test
    void rejectsAnUnknownCommand() {
        assertEquals("unknown command 'start': use demo, run, shell, nc, get, pktgen, fwd, bench or help.", error("start"));
        assertEquals("no help for 'start': the commands are demo, run, shell, nc, get, pktgen, fwd, bench and help.", error("help", "start"));
    }

    @Test
    void helpComesAsCommandOptionOrNothing() throws UsageException {
        assertEquals(new Help(null, true), CommandLine.parse());
        assertEquals(new Help(null, false), CommandLine.parse("help"));
        assertEquals(new Help(null, false), CommandLine.parse("--help"));
        assertEquals(new Help("run", false), CommandLine.parse("help", "run"));
        assertEquals(new Help("run", false), CommandLine.parse("run", "--tap", "ns0", "--help"));
        assertEquals(new Help("demo", false), CommandLine.parse("demo", "-h"));
        assertEquals(new Help("shell", false), CommandLine.parse("shell", "--help"));
        for (String topic : List.of("help", "demo", "run", "shell", "nc", "get")) {
            assertTrue(CommandLine.USAGE.get(topic).startsWith("Usage: ./netstack " + topic), topic);
        }
    }

    @Test
    void shellPassesEverythingAfterTheCommandThrough() throws UsageException {
        assertEquals(new ShellCall(CommandLine.DEFAULT_RUN_DIR, List.of("stats", "-a")), CommandLine.parse("shell", "stats", "-a"));
        assertEquals(new ShellCall(Path.of("/r"), List.of("lb")), CommandLine.parse("shell", "--run", "/r", "lb"));
        assertEquals(new ShellCall(Path.of("/r"), List.of("lb")), CommandLine.parse("shell", "--run=/r", "lb"));
        assertEquals(new ShellCall(CommandLine.DEFAULT_RUN_DIR, List.of("--run")), CommandLine.parse("shell", "--", "--run"));
        assertEquals(new ShellCall(CommandLine.DEFAULT_RUN_DIR, List.of()), CommandLine.parse("shell"));
    }

    @Test
    void shellRejectsUnknownOptionsBeforeTheCommand() {
        assertEquals("unknown option '-x' for shell: see ./netstack shell --help.", error("shell", "-x", "lb"));
        assertEquals("--run needs a value: see ./netstack shell --help.", error("shell", "--run"));
    }

    @Test
    void ncTakesHostAndPortWithTheToolDefaults() throws UsageException {
        Tools.Nc nc = assertInstanceOf(Tools.Nc.class, CommandLine.parse("nc", "198.18.0.2", "7"));
        assertEquals(new Tools.Nc(new Tools.ToolOptions("ns1", "198.18.1.2/24", "198.18.1.1/24", "198.18.1.1", null, null,
                10_000), "198.18.0.2", 7, false), nc);
    }

    @Test
    void ncListensWithDashL() throws UsageException {
        Tools.Nc nc = assertInstanceOf(Tools.Nc.class, CommandLine.parse("nc", "--tap", "nsp-t", "--address",
                "198.18.5.2/24", "-l", "5000"));
        assertEquals(new Tools.Nc(new Tools.ToolOptions("nsp-t", "198.18.5.2/24", null, null, null, null, 10_000), null,
                5000, true), nc);
    }

    @Test
    void getTakesUrlOutputAndRunOptions() throws UsageException {
        Tools.Get get = assertInstanceOf(Tools.Get.class, CommandLine.parse("get", "http://198.18.0.2/bytes/5", "-o",
                "/tmp/x", "--tap=nsp-g", "--address", "198.18.6.2/24", "--host-address", "198.18.6.1/24", "--mac",
                "02:00:00:00:00:09", "--mtu", "9000", "--timeout", "3"));
        assertEquals(new Tools.Get(new Tools.ToolOptions("nsp-g", "198.18.6.2/24", "198.18.6.1/24", "198.18.6.1",
                "02:00:00:00:00:09", 9000, 3000), "http://198.18.0.2/bytes/5", Path.of("/tmp/x")), get);
    }

    @Test
    void toolsRejectWrongArguments() throws UsageException {
        assertEquals("nc needs HOST and PORT, like 198.18.0.2 7: see ./netstack nc --help.", error("nc", "198.18.0.2"));
        assertEquals("get needs one URL, like http://198.18.0.2/bytes/1000: see ./netstack get --help.", error("get"));
        assertEquals("unknown option '-o' for nc: see ./netstack nc --help.", error("nc", "-o", "f", "1.2.3.4", "5"));
        assertEquals("nc -l PORT takes no HOST or PORT after it: see ./netstack nc --help.", error("nc", "-l", "5", "x"));
        assertEquals(new Help("get", false), assertInstanceOf(Help.class, CommandLine.parse("get", "--help")));
    }

    @Test
    void onlyDemoTurnsTheDemoServicesOn() throws UsageException {
        assertTrue(run("demo").demo());
        assertTrue(!run("run").demo());
    }
}
