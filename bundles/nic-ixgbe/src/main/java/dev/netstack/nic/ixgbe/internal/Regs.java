package dev.netstack.nic.ixgbe.internal;

/**
 * Register offsets and bits of the 82599 that this driver uses, from the datasheet's register
 * descriptions (Intel 82599 10 GbE Controller Datasheet, chapter 8; section given per group).
 * Queue registers are given for queues 0-63, the range this driver uses.
 */
public final class Regs {

    private Regs() {
    }

    // §8.2.3.1 General control
    public static final int CTRL = 0x00000;
    /** CTRL.LRST (bit 3), link reset. */
    public static final int CTRL_LRST = 1 << 3;
    /** CTRL.RST (bit 26), device reset; self-clearing. */
    public static final int CTRL_RST = 1 << 26;
    public static final int CTRL_RST_MASK = CTRL_LRST | CTRL_RST;
    public static final int STATUS = 0x00008;
    public static final int CTRL_EXT = 0x00018;
    /** CTRL_EXT.NS_DIS (bit 16): no snoop disable, set as §4.6.7 asks. */
    public static final int CTRL_EXT_NS_DIS = 1 << 16;

    // §8.2.3.2 EEPROM/flash
    public static final int EEC = 0x10010;
    /** EEC.AUTO_RD (bit 9): EEPROM auto-read done. */
    public static final int EEC_ARD = 1 << 9;

    // §8.2.3.5 Interrupts
    public static final int EICR = 0x00800;
    public static final int EIMS = 0x00880;
    public static final int EIMC = 0x00888;
    /** Writing ones to EIMC masks every interrupt cause (bits 30:0). */
    public static final int EIMC_ALL = 0x7FFF_FFFF;

    // §8.2.3.8 Receive DMA, per queue n at base + 0x40 * n
    public static int rdbal(int n) {
        return 0x01000 + 0x40 * n;
    }

    public static int rdbah(int n) {
        return 0x01004 + 0x40 * n;
    }

    public static int rdlen(int n) {
        return 0x01008 + 0x40 * n;
    }

    public static int dcaRxctrl(int n) {
        return 0x0100C + 0x40 * n;
    }

    public static int rdh(int n) {
        return 0x01010 + 0x40 * n;
    }

    public static int srrctl(int n) {
        return 0x01014 + 0x40 * n;
    }

    public static int rdt(int n) {
        return 0x01018 + 0x40 * n;
    }

    public static int rxdctl(int n) {
        return 0x01028 + 0x40 * n;
    }

    /** QPRDC[n], packets dropped on queue n for want of descriptors (§8.2.3.23). */
    public static int qprdc(int n) {
        return 0x01430 + 0x40 * n;
    }

    /** SRRCTL.BSIZEPACKET (bits 4:0), receive buffer size in 1 KB units. */
    public static final int SRRCTL_BSIZEPKT_MASK = 0x1F;
    /** SRRCTL.DESCTYPE (bits 27:25); 001b = advanced, one buffer. */
    public static final int SRRCTL_DESCTYPE_MASK = 0x7 << 25;
    public static final int SRRCTL_DESCTYPE_ADV_ONEBUF = 0x1 << 25;
    /** SRRCTL.Drop_En (bit 28): drop when the queue has no descriptors instead of backing up the packet buffer. */
    public static final int SRRCTL_DROP_EN = 1 << 28;
    /** RXDCTL.ENABLE (bit 25). */
    public static final int RXDCTL_ENABLE = 1 << 25;
    /** DCA_RXCTRL bit 12: reserved, reads 1, must be written 0 (§4.6.7). */
    public static final int DCA_RXCTRL_BIT12 = 1 << 12;

    public static final int RDRXCTL = 0x02F00;
    /** RDRXCTL.CRCStrip (bit 1). */
    public static final int RDRXCTL_CRCSTRIP = 1 << 1;
    /** RDRXCTL.DMAIDONE (bit 3): DMA initialisation done. */
    public static final int RDRXCTL_DMAIDONE = 1 << 3;

    public static final int RXCTRL = 0x03000;
    /** RXCTRL.RXEN (bit 0). */
    public static final int RXCTRL_RXEN = 1;

    public static int rxpbsize(int n) {
        return 0x03C00 + 4 * n;
    }

    /** RXPBSIZE.SIZE in KB at bits 19:10: the whole 512 KB receive packet buffer in TC 0 (§4.6.11.3.4, no DCB). */
    public static final int RXPBSIZE_512KB = 512 << 10;

    // §8.2.3.7 Receive filters
    public static final int RXCSUM = 0x05000;
    /** RXCSUM.PCSD (bit 13): report the RSS hash instead of the fragment checksum. */
    public static final int RXCSUM_PCSD = 1 << 13;
    public static final int FCTRL = 0x05080;
    public static final int FCTRL_MPE = 1 << 8;
    public static final int FCTRL_UPE = 1 << 9;
    public static final int FCTRL_BAM = 1 << 10;
    public static final int MRQC = 0x05818;
    /** MRQC.MRQE = 0001b: RSS only. */
    public static final int MRQC_MRQE_RSS = 0x1;
    /** MRQC.TcpIPv4 (bit 16): hash IPv4 TCP segments over addresses and ports; the only field this driver enables. */
    public static final int MRQC_FIELD_IPV4_TCP = 1 << 16;
    /** Entries of the redirection table (RETA, §7.1.2.8.2), indexed by the hash's seven low bits. */
    public static final int RETA_ENTRIES = 128;

    public static int reta(int n) {
        return 0x05C00 + 4 * n;
    }

    public static int rssrk(int n) {
        return 0x05C80 + 4 * n;
    }

    /** Receive address RAL[0]/RAH[0] (§8.2.3.7-10). */
    public static final int RAL0 = 0x0A200;
    public static final int RAH0 = 0x0A204;

    // §8.2.3.22 MAC
    public static final int HLREG0 = 0x04240;
    public static final int HLREG0_TXCRCEN = 1;
    public static final int HLREG0_RXCRCSTRP = 1 << 1;
    public static final int HLREG0_TXPADEN = 1 << 10;
    public static final int AUTOC = 0x042A0;
    /** AUTOC.Restart_AN (bit 12). */
    public static final int AUTOC_AN_RESTART = 1 << 12;
    /** AUTOC.LMS (bits 15:13), link mode select; 011b = 10 GbE serial link, KX/KX4/KR auto-negotiation. */
    public static final int AUTOC_LMS_MASK = 0x7 << 13;
    public static final int AUTOC_LMS_10G_SERIAL = 0x3 << 13;
    /** AUTOC.10G_PMA_PMD_PARALLEL (bits 8:7); 00b = XAUI. */
    public static final int AUTOC_10G_PMA_PMD_MASK = 0x3 << 7;
    public static final int AUTOC_10G_PMA_PMD_XAUI = 0;
    public static final int LINKS = 0x042A4;
    /** LINKS.Link Up (bit 30). */
    public static final int LINKS_UP = 1 << 30;
    /** LINKS.LINK_SPEED (bits 29:28): 01b 100 Mb/s, 10b 1 Gb/s, 11b 10 Gb/s. */
    public static final int LINKS_SPEED_MASK = 0x3 << 28;
    public static final int LINKS_SPEED_100M = 0x1 << 28;
    public static final int LINKS_SPEED_1G = 0x2 << 28;
    public static final int LINKS_SPEED_10G = 0x3 << 28;

    // §8.2.3.9 Transmit DMA
    public static final int DMATXCTL = 0x04A80;
    /** DMATXCTL.TE (bit 0), transmit enable. */
    public static final int DMATXCTL_TE = 1;
    public static final int DTXMXSZRQ = 0x08100;
    public static final int RTTDCS = 0x04900;
    /** RTTDCS.ARBDIS (bit 6): descriptor arbiter disable. */
    public static final int RTTDCS_ARBDIS = 1 << 6;

    public static int tdbal(int n) {
        return 0x06000 + 0x40 * n;
    }

    public static int tdbah(int n) {
        return 0x06004 + 0x40 * n;
    }

    public static int tdlen(int n) {
        return 0x06008 + 0x40 * n;
    }

    public static int tdh(int n) {
        return 0x06010 + 0x40 * n;
    }

    public static int tdt(int n) {
        return 0x06018 + 0x40 * n;
    }

    public static int txdctl(int n) {
        return 0x06028 + 0x40 * n;
    }

    /** TXDCTL.ENABLE (bit 25). */
    public static final int TXDCTL_ENABLE = 1 << 25;

    public static int txpbsize(int n) {
        return 0x0CC00 + 4 * n;
    }

    /** TXPBSIZE.SIZE in KB at bits 19:10: the whole 160 KB transmit packet buffer in TC 0 (§4.6.11.3.4). */
    public static final int TXPBSIZE_160KB = 160 << 10;

    // §8.2.3.23 Statistics, clear on read
    public static final int GPRC = 0x04074;
    public static final int GPTC = 0x04080;
    public static final int GORCL = 0x04088;
    public static final int GORCH = 0x0408C;
    public static final int GOTCL = 0x04090;
    public static final int GOTCH = 0x04094;

    public static int mpc(int n) {
        return 0x03FA0 + 4 * n;
    }

    // §7.1.6 Advanced receive descriptors (16 bytes)
    public static final int RX_DESC_BYTES = 16;
    /** Write-back: RSS hash at byte 4, extended status/error at byte 8, packet length at byte 12. */
    public static final int RXWB_RSS_HASH = 4;
    public static final int RXWB_STATUS_ERROR = 8;
    public static final int RXWB_LENGTH = 12;
    public static final int RXD_STAT_DD = 1;
    public static final int RXD_STAT_EOP = 1 << 1;
    /** L4I (bit 5): the L4 (TCP/UDP) checksum was checked. */
    public static final int RXD_STAT_L4CS = 1 << 5;
    /** IPCS (bit 6): the IPv4 header checksum was checked. */
    public static final int RXD_STAT_IPCS = 1 << 6;
    /** L4E (bit 30): TCP/UDP checksum error. */
    public static final int RXD_ERR_L4E = 1 << 30;
    /** IPE (bit 31): IPv4 header checksum error. */
    public static final int RXD_ERR_IPE = 1 << 31;
    /** RXE (bit 29): MAC error (CRC, length). */
    public static final int RXD_ERR_RXE = 1 << 29;

    // §7.2.3.2.4 Advanced transmit data descriptor (16 bytes)
    public static final int TX_DESC_BYTES = 16;
    public static final int TXD_DTYP_DATA = 0x3 << 20;
    public static final int TXD_CMD_EOP = 1 << 24;
    public static final int TXD_CMD_IFCS = 1 << 25;
    public static final int TXD_CMD_RS = 1 << 27;
    public static final int TXD_CMD_DEXT = 1 << 29;
    /** olinfo_status: PAYLEN at bits 31:14. */
    public static final int TXD_PAYLEN_SHIFT = 14;
    /** olinfo_status: CC (bit 7), check context; POPTS.TXSM (bit 9), insert the L4 checksum. */
    public static final int TXD_CC = 1 << 7;
    public static final int TXD_POPTS_TXSM = 1 << 9;
    // §7.2.3.2.3 Advanced transmit context descriptor
    public static final int TXD_DTYP_CONTEXT = 0x2 << 20;
    /** vlan_macip_lens: IPLEN bits 8:0, MACLEN bits 15:9. */
    public static final int TXCTX_MACLEN_SHIFT = 9;
    /** type_tucmd_mlhl: TUCMD.IPV4 (bit 10), TUCMD.L4T (bits 12:11, 00b UDP, 01b TCP). */
    public static final int TXCTX_TUCMD_IPV4 = 1 << 10;
    public static final int TXCTX_TUCMD_L4T_UDP = 0;
    public static final int TXCTX_TUCMD_L4T_TCP = 1 << 11;
    /** Write-back (§7.2.3.2.4): STA.DD, bit 0 of the dword at byte 12. */
    public static final int TXWB_STATUS = 12;
    public static final int TXD_STAT_DD = 1;
}
