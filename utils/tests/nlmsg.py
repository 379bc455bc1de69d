#!/usr/bin/env python3
# Netlink messages for layoutctl's unit tests, which have no nfsd: what a
# kernel would answer to layoutctl recall's requests (the test build reads
# them from $LAYOUTCTL_TEST_NETLINK/NAME), and a reader of the requests it
# wrote there (NAME.req).
#
#   nlmsg.py build FILE EXPR   FILE gets the messages EXPR makes (the
#                              functions below, joined with +)
#   nlmsg.py show FILE         one line for the request in FILE: its
#                              command, flags and attributes
import struct
import sys

NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_MULTI, NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x2, 0x100, 0x200
GENL_ID_CTRL = 0x10
CTRL_CMD_NEWFAMILY, CTRL_CMD_GETPOLICY = 1, 10
(CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_VERSION,
 CTRL_ATTR_HDRSIZE, CTRL_ATTR_MAXATTR, CTRL_ATTR_OPS, CTRL_ATTR_MCAST_GROUPS,
 CTRL_ATTR_POLICY, CTRL_ATTR_OP_POLICY, CTRL_ATTR_OP) = range(1, 11)
ADMIN, DO, DUMP, HASPOL = 0x1, 0x2, 0x4, 0x8
FLAG, U8, U16, U32, U64, S8, S16, S32, S64, BINARY, STRING, NUL_STRING = range(1, 13)
NFSD_ID = 0x22
LAYOUT_RECALL = 10
RECALL_ATTRS = {1: U32, 2: U64, 3: U64, 4: U32}


def attr(t, data):
    n = 4 + len(data)
    return struct.pack('=HH', n, t) + data + b'\0' * (-n % 4)


def u16(t, v):
    return attr(t, struct.pack('=H', v))


def u32(t, v):
    return attr(t, struct.pack('=I', v))


def u64(t, v):
    return attr(t, struct.pack('=Q', v))


def string(t, s):
    return attr(t, s.encode() + b'\0')


def nest(t, *attrs):
    return attr(t | 0x8000, b''.join(attrs))


def msg(typ, flags, payload):
    return struct.pack('=IHHII', 16 + len(payload), typ, flags, 0, 0) + payload


def genl(cmd, *attrs, typ=GENL_ID_CTRL, flags=0):
    return msg(typ, flags, struct.pack('=BBH', cmd, 1, 0) + b''.join(attrs))


def error(errno, text=None):
    """An NLMSG_ERROR (errno 0: an ack), capped, with the kernel's text."""
    payload = struct.pack('=i', -errno) + struct.pack('=IHHII', 20, 0, 5, 0, 0)
    flags = NLM_F_CAPPED
    if text is not None:
        flags |= NLM_F_ACK_TLVS
        payload += string(1, text)
    return msg(NLMSG_ERROR, flags, payload)


def ack():
    return error(0)


def done():
    return msg(NLMSG_DONE, NLM_F_MULTI, struct.pack('=i', 0))


def family(ops=((LAYOUT_RECALL, ADMIN | DO | HASPOL),), name='nfsd', fid=NFSD_ID):
    """CTRL_CMD_GETFAMILY's reply, as ctrl_fill_info() makes it, and its ack."""
    return genl(CTRL_CMD_NEWFAMILY, u16(CTRL_ATTR_FAMILY_ID, fid),
                string(CTRL_ATTR_FAMILY_NAME, name), u32(CTRL_ATTR_VERSION, 1),
                u32(CTRL_ATTR_HDRSIZE, 0), u32(CTRL_ATTR_MAXATTR, 5),
                nest(CTRL_ATTR_OPS, *[nest(i + 1, u32(1, op), u32(2, fl))
                                      for i, (op, fl) in enumerate(ops)])) + ack()


def policy(attrs=None, cmd=LAYOUT_RECALL, idx=0, fid=NFSD_ID):
    """CTRL_CMD_GETPOLICY's dump for one command, as ctrl_dumppolicy()
    makes it: the command's policy index, then one message per attribute
    (attrs: number -> NL_ATTR_TYPE_*), then NLMSG_DONE."""
    attrs = RECALL_ATTRS if attrs is None else attrs
    out = genl(CTRL_CMD_GETPOLICY, u16(CTRL_ATTR_FAMILY_ID, fid),
               nest(CTRL_ATTR_OP_POLICY, nest(cmd, u32(1, idx))), flags=NLM_F_MULTI)
    for a, t in sorted(attrs.items()):
        out += genl(CTRL_CMD_GETPOLICY, u16(CTRL_ATTR_FAMILY_ID, fid),
                    nest(CTRL_ATTR_POLICY, nest(idx, nest(a, u32(1, t)))),
                    flags=NLM_F_MULTI)
    return out + done()


def recalled(n, cmd=LAYOUT_RECALL, value=None):
    """layout-recall's reply and its ack; value: other bytes for the count."""
    data = attr(5, value) if value is not None else u32(5, n)
    return genl(cmd, data, typ=NFSD_ID) + ack()


def show(path):
    b = open(path, 'rb').read()
    n, typ, flags = struct.unpack_from('=IHH', b)
    cmd, ver = struct.unpack_from('=BB', b, 16)
    out, off = [], 20
    while off + 4 <= n:
        alen, t = struct.unpack_from('=HH', b, off)
        data = b[off + 4:off + alen]
        if alen == 6:
            out.append('%d=u16:%d' % (t, struct.unpack('=H', data)[0]))
        elif alen == 8:
            out.append('%d=u32:%d' % (t, struct.unpack('=I', data)[0]))
        elif alen == 12:
            out.append('%d=u64:%d' % (t, struct.unpack('=Q', data)[0]))
        else:
            out.append('%d=%r' % (t, data))
        off += (alen + 3) & ~3
    print('type=%#x flags=%#x cmd=%d version=%d %s' % (typ, flags, cmd, ver, ' '.join(out)))


if __name__ == '__main__':
    if sys.argv[1] == 'build':
        with open(sys.argv[2], 'wb') as f:
            f.write(eval(sys.argv[3]))
    elif sys.argv[1] == 'show':
        show(sys.argv[2])
    else:
        sys.exit('usage: nlmsg.py build FILE EXPR | show FILE')
