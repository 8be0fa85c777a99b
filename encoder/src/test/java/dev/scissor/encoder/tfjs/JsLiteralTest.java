package dev.scissor.encoder.tfjs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsLiteralTest {

    @Test
    void parsesPlainJson() {
        final Object v = JsLiteral.parse("{\"a\": [1, 2.5, -3e-2], \"b\": {\"c\": \"x\\\"y\\u0041\"},"
                + " \"t\": true, \"f\": false, \"n\": null}");
        final Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of(1.0, 2.5, -0.03), m.get("a"));
        assertEquals(Map.of("c", "x\"yA"), m.get("b"));
        assertEquals(Boolean.TRUE, m.get("t"));
        assertEquals(Boolean.FALSE, m.get("f"));
        assertTrue(m.containsKey("n"));
        assertNull(m.get("n"));
    }

    @Test
    void parsesMinifiedJsLiterals() {
        final Map<?, ?> m = (Map<?, ?>) JsLiteral.parse(
                "{format:\"graph-model\",min:-.118,scale:.0009,b:!0,c:!1,'q':'s',1:[],e:1e-5,u:void 0,}");
        assertEquals("graph-model", m.get("format"));
        assertEquals(-0.118, m.get("min"));
        assertEquals(0.0009, m.get("scale"));
        assertEquals(Boolean.TRUE, m.get("b"));
        assertEquals(Boolean.FALSE, m.get("c"));
        assertEquals("s", m.get("q"));
        assertEquals(List.of(), m.get("1"));
        assertEquals(1e-5, m.get("e"));
        assertNull(m.get("u"));
    }

    @Test
    void findsBrowserifyExport() {
        final String js = "!function(t){if(\"object\"==typeof exports)module.exports=t();}"
                + "(function(){return function t(e,a,l){return 0}({1:[function(t,e,a){e.exports="
                + "{format:\"graph-model\",modelTopology:{node:[]}}},{}]},{},[1])(1)});";
        final Map<?, ?> m = (Map<?, ?>) JsLiteral.parseModuleExport(js);
        assertEquals("graph-model", m.get("format"));
    }

    @Test
    void findsStringExportAndExportDefault() {
        assertEquals("QUJD", JsLiteral.parseModuleExport("x;m.exports=\"QUJD\"},{}]"));
        assertEquals(List.of(1.0), JsLiteral.parseModuleExport("export default [1];"));
    }

    @Test
    void rejectsCodeAndGarbage() {
        final IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> JsLiteral.parse("{a: foo()}"));
        assertTrue(e.getMessage().contains("unsupported identifier 'foo'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> JsLiteral.parse("{a: 1} x"));
        assertThrows(IllegalArgumentException.class, () -> JsLiteral.parse("[1, 2"));
        assertThrows(IllegalArgumentException.class, () -> JsLiteral.parseModuleExport("var x = 1;"));
    }
}
