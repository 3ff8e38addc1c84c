package dev.netstack.tcp.internal;

import dev.netstack.nic.DecoratedDevice;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Looks at every TCP data frame the wrapped device transmits for one connection and counts those
 * whose payload lies exactly where the application wrote it ({@link ZeroCopyWriter#payloadAddress},
 * by stream offset): segments that left without a copy.
 */
final class TxFrameCheck extends DecoratedDevice {

    private static final ValueLayout.OfInt SEQ = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    ZeroCopyWriter writer;
    Tcb tcb;
    long dataFrames;
    long fromApplicationBuffer;

    TxFrameCheck(NetDevice inner) {
        super(inner);
    }

    @Override
    public int transmit(int queue, PacketBatch batch) {
        for (int i = 0; i < batch.size(); i++) {
            check(batch.get(i));
        }
        return inner.transmit(queue, batch);
    }

    private void check(PacketBuffer frame) {
        if (writer == null || tcb == null || frame.length() < 54) {
            return;
        }
        var bytes = frame.segment();
        long ip = frame.offset() + 14;
        if (bytes.get(ValueLayout.JAVA_BYTE, ip + 9) != 6) {
            return;
        }
        int ipHeader = (bytes.get(ValueLayout.JAVA_BYTE, ip) & 0x0F) * 4;
        long tcp = ip + ipHeader;
        int tcpHeader = ((bytes.get(ValueLayout.JAVA_BYTE, tcp + 12) & 0xFF) >>> 4) * 4;
        long payload = tcp + tcpHeader;
        int length = (int) (frame.offset() + frame.length() - payload);
        if (length <= 0) {
            return;
        }
        dataFrames++;
        long streamOffset = (bytes.get(SEQ, tcp + 4) - (tcb.iss + 1)) & 0xFFFF_FFFFL;
        int chunk = writer.chunk;
        if (writer.payloadAddress != null && chunk > 0 && streamOffset % chunk == 0 && streamOffset / chunk < writer.payloadAddress.length
                && writer.payloadAddress[(int) (streamOffset / chunk)] == bytes.address() + payload) {
            fromApplicationBuffer++;
        }
    }

    @Override
    public int receive(int queue, PacketBatch batch) {
        return inner.receive(queue, batch);
    }

    @Override
    public String description() {
        return "tx-check " + inner.description();
    }

    @Override
    public void close() {
        inner.close();
    }
}
