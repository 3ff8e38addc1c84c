package dev.netstack.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;

class LogPrinterTest {

    /** The entry SCR logs when a component's constructor throws (message as SCR 2.2 writes it). */
    private static final String SCR_MESSAGE = "bundle dev.netstack.nic-tap:0.1.0 (6)"
            + "[dev.netstack.nic.tap.internal.TapComponent(5)] : Error during instantiation of the implementation object";

    private record Entry(LogLevel level, String message, Throwable exception) implements LogEntry {
        @Override public Bundle getBundle() { return null; }
        @Override public ServiceReference<?> getServiceReference() { return null; }
        @Override @SuppressWarnings("deprecation") public int getLevel() { return level.ordinal(); }
        @Override public String getMessage() { return message; }
        @Override public Throwable getException() { return exception; }
        @Override public long getTime() { return 0; }
        @Override public LogLevel getLogLevel() { return level; }
        @Override public String getLoggerName() { return "test"; }
        @Override public long getSequence() { return 0; }
        @Override public String getThreadInfo() { return "main"; }
        @Override public StackTraceElement getLocation() { return null; }
    }

    @Test
    void reportsAFailedComponentByTheMessageOfItsRootCause() {
        Throwable failure = new InvocationTargetException(new IllegalStateException(
                "Cannot create TAP device tapc: the name is taken; choose another TAP name."));
        assertEquals("netstack: component dev.netstack.nic.tap.internal.TapComponent did not activate:"
                + " Cannot create TAP device tapc: the name is taken; choose another TAP name.",
                LogPrinter.format(new Entry(LogLevel.ERROR, SCR_MESSAGE, failure)));
    }

    @Test
    void namesTheComponentButDoesNotCallOtherFailuresActivation() {
        assertEquals("netstack: component dev.netstack.ip.internal.Ipv4Layer: The deactivate method has thrown an exception:"
                + " shard gone", LogPrinter.format(new Entry(LogLevel.ERROR, "bundle dev.netstack.ip:0.1.0 (2)"
                + "[dev.netstack.ip.internal.Ipv4Layer(7)] : The deactivate method has thrown an exception",
                new IllegalStateException("shard gone"))));
        assertEquals("netstack: component dev.netstack.ip.internal.Ipv4Layer did not activate: no shard",
                LogPrinter.format(new Entry(LogLevel.ERROR, "bundle dev.netstack.ip:0.1.0 (2)"
                + "[dev.netstack.ip.internal.Ipv4Layer(7)] : The activate method has thrown an exception",
                new IllegalStateException("no shard"))));
    }

    @Test
    void printsOneLineWithoutStackTrace() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        new LogPrinter(err).logged(new Entry(LogLevel.ERROR, SCR_MESSAGE,
                new RuntimeException("wrapper", new RuntimeException("first line\nsecond line"))));
        assertEquals("netstack: component dev.netstack.nic.tap.internal.TapComponent did not activate:"
                + " first line second line\n", bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void dropsTheClassNameFelixLogPutsInFrontOfTheMessage() {
        assertEquals("Cannot create TAP device tapc.", LogPrinter.rootCauseMessage(
                new RuntimeException("dev.netstack.nic.tap.TapException: Cannot create TAP device tapc.")));
        assertEquals("Address: in use.", LogPrinter.rootCauseMessage(new RuntimeException("Address: in use.")));
    }

    @Test
    void namesTheExceptionClassWhenNoCauseHasAMessage() {
        assertEquals("NullPointerException",
                LogPrinter.rootCauseMessage(new InvocationTargetException(new NullPointerException())));
    }

    @Test
    void dropsScrsBundlePrefixFromOtherMessagesAndMarksWarnings() {
        assertEquals("netstack: warning: Could not bind a reference",
                LogPrinter.format(new Entry(LogLevel.WARN, "bundle dev.netstack.ip:0.1.0 (2) : Could not bind a reference", null)));
        assertEquals("netstack: Failed to read /run/etc/x.cfg: bad line 3",
                LogPrinter.format(new Entry(LogLevel.ERROR, "Failed to read /run/etc/x.cfg", new RuntimeException("bad line 3"))));
    }

    @Test
    void ignoresInfoAndDebug() {
        assertNull(LogPrinter.format(new Entry(LogLevel.INFO, "BundleEvent STARTED", null)));
        assertNull(LogPrinter.format(new Entry(LogLevel.DEBUG, "ServiceEvent REGISTERED", null)));
    }
}
