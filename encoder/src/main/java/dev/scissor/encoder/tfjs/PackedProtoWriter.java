package dev.scissor.encoder.tfjs;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * Serialises a protobuf message with every repeated scalar field in <em>packed</em> encoding and
 * fields in field-number order.
 *
 * <p>The ONNX schema ({@code onnx.proto}, proto2) declares {@code dims}, {@code ints} and the like
 * unpacked, so {@code Message#toByteArray()} writes one tag per element. The project's reference
 * converter (protobufjs with the proto3 schema) writes them packed. Parsers accept both forms, so
 * the model is the same either way; writing packed makes the converted file byte-identical to the
 * reference ({@code mnv2_140_nsfwjs.onnx}, sha256 {@code 335037ba…}), which lets the model cache be
 * checked against a known digest. Unknown fields are not written.
 */
public final class PackedProtoWriter {

    private PackedProtoWriter() {}

    /**
     * Serialises {@code msg} with packed repeated scalars.
     *
     * @param msg the message
     * @return the encoded bytes
     */
    public static byte[] toByteArray(final Message msg) {
        final ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try {
            write(msg, bos);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    /**
     * Serialises {@code msg} to a stream.
     *
     * @param msg the message
     * @param out the destination
     * @throws IOException if writing fails
     */
    public static void write(final Message msg, final OutputStream out) throws IOException {
        final CodedOutputStream cos = CodedOutputStream.newInstance(out, 1 << 16);
        writeFields(msg, cos);
        cos.flush();
    }

    private static void writeFields(final Message msg, final CodedOutputStream cos) throws IOException {
        // getAllFields() is ordered by field number.
        for (final Map.Entry<FieldDescriptor, Object> e : msg.getAllFields().entrySet()) {
            final FieldDescriptor f = e.getKey();
            if (f.isRepeated()) {
                final List<?> values = (List<?>) e.getValue();
                if (isPackable(f)) {
                    int size = 0;
                    for (final Object v : values) {
                        size += scalarSize(f, v);
                    }
                    cos.writeTag(f.getNumber(), WireFormat.WIRETYPE_LENGTH_DELIMITED);
                    cos.writeUInt32NoTag(size);
                    for (final Object v : values) {
                        writeScalarNoTag(f, v, cos);
                    }
                } else {
                    for (final Object v : values) {
                        writeSingle(f, v, cos);
                    }
                }
            } else {
                writeSingle(f, e.getValue(), cos);
            }
        }
    }

    private static boolean isPackable(final FieldDescriptor f) {
        return f.getJavaType() != FieldDescriptor.JavaType.STRING
                && f.getJavaType() != FieldDescriptor.JavaType.BYTE_STRING
                && f.getJavaType() != FieldDescriptor.JavaType.MESSAGE;
    }

    private static void writeSingle(final FieldDescriptor f, final Object v, final CodedOutputStream cos)
            throws IOException {
        switch (f.getJavaType()) {
            case MESSAGE:
                final byte[] nested = toByteArray((Message) v);
                cos.writeTag(f.getNumber(), WireFormat.WIRETYPE_LENGTH_DELIMITED);
                cos.writeUInt32NoTag(nested.length);
                cos.writeRawBytes(nested);
                break;
            case STRING:
                cos.writeString(f.getNumber(), (String) v);
                break;
            case BYTE_STRING:
                cos.writeBytes(f.getNumber(), (ByteString) v);
                break;
            default:
                cos.writeTag(f.getNumber(), f.getLiteType().getWireType());
                writeScalarNoTag(f, v, cos);
        }
    }

    private static int scalarSize(final FieldDescriptor f, final Object v) {
        switch (f.getType()) {
            case INT64:
                return CodedOutputStream.computeInt64SizeNoTag((Long) v);
            case UINT64:
                return CodedOutputStream.computeUInt64SizeNoTag((Long) v);
            case INT32:
                return CodedOutputStream.computeInt32SizeNoTag((Integer) v);
            case UINT32:
                return CodedOutputStream.computeUInt32SizeNoTag((Integer) v);
            case SINT32:
                return CodedOutputStream.computeSInt32SizeNoTag((Integer) v);
            case SINT64:
                return CodedOutputStream.computeSInt64SizeNoTag((Long) v);
            case BOOL:
                return 1;
            case ENUM:
                return CodedOutputStream.computeEnumSizeNoTag(
                        ((com.google.protobuf.Descriptors.EnumValueDescriptor) v).getNumber());
            case FLOAT:
            case FIXED32:
            case SFIXED32:
                return 4;
            case DOUBLE:
            case FIXED64:
            case SFIXED64:
                return 8;
            default:
                throw new IllegalArgumentException("not a scalar field: " + f.getFullName());
        }
    }

    private static void writeScalarNoTag(final FieldDescriptor f, final Object v, final CodedOutputStream cos)
            throws IOException {
        switch (f.getType()) {
            case INT64:
                cos.writeInt64NoTag((Long) v);
                break;
            case UINT64:
                cos.writeUInt64NoTag((Long) v);
                break;
            case INT32:
                cos.writeInt32NoTag((Integer) v);
                break;
            case UINT32:
                cos.writeUInt32NoTag((Integer) v);
                break;
            case SINT32:
                cos.writeSInt32NoTag((Integer) v);
                break;
            case SINT64:
                cos.writeSInt64NoTag((Long) v);
                break;
            case BOOL:
                cos.writeBoolNoTag((Boolean) v);
                break;
            case ENUM:
                cos.writeEnumNoTag(((com.google.protobuf.Descriptors.EnumValueDescriptor) v).getNumber());
                break;
            case FLOAT:
                cos.writeFloatNoTag((Float) v);
                break;
            case FIXED32:
                cos.writeFixed32NoTag((Integer) v);
                break;
            case SFIXED32:
                cos.writeSFixed32NoTag((Integer) v);
                break;
            case DOUBLE:
                cos.writeDoubleNoTag((Double) v);
                break;
            case FIXED64:
                cos.writeFixed64NoTag((Long) v);
                break;
            case SFIXED64:
                cos.writeSFixed64NoTag((Long) v);
                break;
            default:
                throw new IllegalArgumentException("not a scalar field: " + f.getFullName());
        }
    }
}
