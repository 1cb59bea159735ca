package dev.caravan.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

class ExpressionsTest {

    private static final Set<String> TOP = Expressions.TOP_LEVEL;

    private final Expressions expressions = new Expressions();

    private static Map<String, Object> vars() {
        Map<String, Object> ticket = new LinkedHashMap<>();
        ticket.put("body", "printer on fire");
        ticket.put("priority", 3); // Integer, as Jackson gives small ints
        ticket.put("score", new BigDecimal("0.75"));
        ticket.put("tags", List.of("hw", "urgent"));
        ticket.put("owner", null);
        Map<String, Object> classify = new LinkedHashMap<>();
        classify.put("output", Map.of("severity", "high"));
        classify.put("status", "completed");
        Map<String, Object> vars = new HashMap<>();
        vars.put("input", Map.of("ticket", ticket));
        vars.put("nodes", Map.of("classify", classify));
        vars.put("run", Map.of("id", "r-1"));
        return vars;
    }

    private Object eval(String template) {
        return expressions.compile(template, TOP).evaluate(vars());
    }

    @Test
    void anExpressionCheckedInANarrowScopeIsNotCompiledAgainInAWiderOne() {
        Set<String> wide = Set.of("input", "nodes", "run", "lane", "item", "index", "iteration");
        expressions.compile("${{ input.a + 1 }}", TOP);
        expressions.compile("${{ input.a + 1 }}", wide);
        expressions.compile("${{ [1, 2].map(item, item * input.ticket.priority) }}", TOP);
        expressions.compile("${{ [1, 2].map(item, item * input.ticket.priority) }}", wide);
        assertThat(expressions.compilations()).isEqualTo(2);
        assertThat(expressions.compile("${{ [1, 2].map(item, item * input.ticket.priority) }}", wide).evaluate(vars()))
                .isEqualTo(eval("${{ [1, 2].map(item, item * input.ticket.priority) }}"));
    }

    @Test
    void anExpressionCompiledInAWideScopeIsCheckedAgainInANarrowerOne() {
        Set<String> wide = Set.of("input", "nodes", "run", "lane", "item", "index", "iteration");
        expressions.compile("${{ item.name }}", wide);
        assertThatThrownBy(() -> expressions.compile("${{ item.name }}", TOP))
                .isInstanceOf(ExpressionException.class).hasMessageContaining("item");
        expressions.compile("${{ input.a }}", wide);
        expressions.compile("${{ input.a }}", TOP);
        assertThat(expressions.compilations()).isEqualTo(2);
    }

    @Test
    void yieldsTheTypedValueWhenTheStringIsExactlyOneExpression() {
        assertThat(eval("${{ input.ticket.priority + 1 }}")).isEqualTo(4L);
        assertThat(eval("  ${{ input.ticket.score * 2.0 }}  ")).isEqualTo(1.5);
        assertThat(eval("${{ nodes.classify.output.severity == 'high' }}")).isEqualTo(true);
        assertThat(eval("${{ input.ticket.tags }}")).isEqualTo(List.of("hw", "urgent"));
        assertThat(eval("${{ input.ticket.owner }}")).isNull();
        assertThat(eval("${{ {'ticket': input.ticket.body, 'n': [1, 2.5, null]} }}"))
                .isEqualTo(Map.of("ticket", "printer on fire", "n", Arrays.asList(1L, 2.5, null)));
    }

    @Test
    void interpolatesTextRenderingMapsAsJsonAndNullAsEmpty() {
        assertThat(eval("Classify: ${{ input.ticket.body }} (p${{ input.ticket.priority }})"))
                .isEqualTo("Classify: printer on fire (p3)");
        assertThat(eval("tags=${{ input.ticket.tags }} out=${{ nodes.classify.output }} owner=[${{ input.ticket.owner }}]"))
                .isEqualTo("tags=[\"hw\",\"urgent\"] out={\"severity\":\"high\"} owner=[]");
        assertThat(eval("no expression here")).isEqualTo("no expression here");
    }

    @Test
    @SuppressWarnings("unchecked")
    void returnsPlainJavaValuesNeverCelTypes() {
        Object value = eval("${{ {'a': [input.ticket.owner, input.ticket.priority, b'x' == b'x', 1u]} }}");
        assertThat(value).isInstanceOf(LinkedHashMap.class);
        Object list = ((Map<?, ?>) value).get("a");
        assertThat(list).isInstanceOf(ArrayList.class);
        assertThat((List<Object>) list).containsExactly(null, 3L, true, 1L);
        assertThat(eval("${{ 'a,b'.split(',') }}")).isInstanceOf(ArrayList.class).isEqualTo(List.of("a", "b"));
        assertThat(eval("${{ timestamp('2024-01-01T00:00:00Z') }}")).isEqualTo("2024-01-01T00:00:00Z");
        assertThat(eval("${{ duration('90s') }}")).isEqualTo("90s");
    }

    @Test
    void normalisesIntegersToLongAndFloatsToDouble() {
        Template t = expressions.compile("${{ input.i + input.l }}", TOP);
        assertThat(t.evaluate(Map.of("input", Map.of("i", 2, "l", 3L)))).isEqualTo(5L);
        Template d = expressions.compile("${{ input.f * 2.0 }}", TOP);
        assertThat(d.evaluate(Map.of("input", Map.of("f", 1.25f)))).isEqualTo(2.5);
        assertThat(d.evaluate(Map.of("input", Map.of("f", new BigDecimal("1.25"))))).isEqualTo(2.5);
        assertThat(eval("${{ input.ticket.priority > 2.5 }}")).isEqualTo(true);
    }

    @Test
    void compilesListAndMapTreesAndKeepsConstants() {
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("count", "${{ size(input.ticket.tags) }}");
        raw.put("label", "n=${{ size(input.ticket.tags) }}");
        raw.put("fixed", 7);
        raw.put("list", List.of("${{ run.id }}", true));
        Template t = expressions.compile(raw, TOP);
        assertThat(t.isConstant()).isFalse();
        assertThat(t.evaluate(vars())).isEqualTo(Map.of("count", 2L, "label", "n=2", "fixed", 7L,
                "list", List.of("r-1", true)));

        Template constant = expressions.compile(Map.of("a", List.of(1, "x")), TOP);
        assertThat(constant.isConstant()).isTrue();
        assertThat(constant.evaluate(Map.of())).isEqualTo(Map.of("a", List.of(1L, "x")));
        assertThat(expressions.compile(null, TOP).evaluate(Map.of())).isNull();
        assertThat(expressions.compile(true, TOP).isConstant()).isTrue();
    }

    @Test
    void findsTheClosingBracesAfterNestedMapsAndStrings() {
        assertThat(eval("${{ {'a': {'b': '}}'}} }}")).isEqualTo(Map.of("a", Map.of("b", "}}")));
        assertThat(eval("[${{ \"x}}\" }}]")).isEqualTo("[x}}]");
    }

    @Test
    void offersStandardMacrosAndStringFunctions() {
        assertThat(eval("${{ has(input.ticket.body) && !has(input.ticket.missing) }}")).isEqualTo(true);
        assertThat(eval("${{ input.ticket.tags.all(t, size(t) > 1) }}")).isEqualTo(true);
        assertThat(eval("${{ input.ticket.tags.exists(t, t == 'urgent') }}")).isEqualTo(true);
        assertThat(eval("${{ input.ticket.tags.map(t, t.upperAscii()) }}")).isEqualTo(List.of("HW", "URGENT"));
        assertThat(eval("${{ input.ticket.tags.filter(t, t.startsWith('u')) }}")).isEqualTo(List.of("urgent"));
        assertThat(eval("${{ input.ticket.body.replace('fire', 'ice') }}")).isEqualTo("printer on ice");
    }

    @Test
    void rejectsUnknownIdentifierWithItsOffsetAndTheVariablesInScope() {
        assertThatThrownBy(() -> expressions.compile("Hi ${{ inptu.name }}", TOP))
                .isInstanceOf(ExpressionException.class)
                .hasMessage("unknown identifier 'inptu' in expression `inptu.name`; expected one of: input, lane, nodes, run")
                .extracting(e -> ((ExpressionException) e).offset()).isEqualTo(7);
    }

    @Test
    void rejectsVariablesOutsideTheirScope() {
        assertThatThrownBy(() -> expressions.compile("${{ item.body }}", TOP))
                .isInstanceOf(ExpressionException.class)
                .hasMessageStartingWith("unknown identifier 'item'");
        Set<String> mapScope = Set.of("input", "nodes", "run", "item", "index");
        assertThat(expressions.compile("${{ item.body }}", mapScope).evaluate(Map.of("item", Map.of("body", "b"))))
                .isEqualTo("b");
    }

    @Test
    void rejectsSyntaxErrorsWithOffsetAndWhatWasExpected() {
        assertThatThrownBy(() -> expressions.compile("x ${{ input. }}", TOP))
                .isInstanceOf(ExpressionException.class)
                .hasMessageStartingWith("syntax error in expression `input.`: ")
                .extracting(e -> ((ExpressionException) e).offset()).isEqualTo(13);
        assertThatThrownBy(() -> expressions.compile("${{ 'x' + 1 }}", TOP))
                .isInstanceOf(ExpressionException.class)
                .hasMessageStartingWith("type error in expression `'x' + 1`: found no matching overload for '_+_'");
    }

    @Test
    void rejectsUnclosedAndEmptyExpressions() {
        assertThatThrownBy(() -> expressions.compile("ab ${{ input.x ", TOP))
                .isInstanceOf(ExpressionException.class)
                .hasMessage("expected '}}' to close the expression opened by '${{' here, found the end of the text: "
                        + "`ab ${{ input.x `")
                .extracting(e -> ((ExpressionException) e).offset()).isEqualTo(3);
        assertThatThrownBy(() -> expressions.compile("${{  }}", TOP))
                .isInstanceOf(ExpressionException.class)
                .hasMessage("expected an expression inside '${{ }}', found nothing");
    }

    @Test
    void isSandboxedFromJavaAndTheEnvironment() {
        assertThatThrownBy(() -> expressions.compile("${{ java.lang.System.getenv('HOME') }}", TOP))
                .isInstanceOf(ExpressionException.class)
                .hasMessageStartingWith("unknown identifier 'java'");
        assertThatThrownBy(() -> expressions.compile("${{ getenv('HOME') }}", TOP))
                .isInstanceOf(ExpressionException.class)
                .hasMessage("unknown function 'getenv' in expression `getenv('HOME')`; only CEL standard functions, "
                        + "macros and string functions are available")
                .extracting(e -> ((ExpressionException) e).offset()).isEqualTo(4);
        // a Java object handed in is seen as data, never as an object with methods
        record Secretive(String name) {
        }
        Template t = expressions.compile("${{ input.name }}", TOP);
        assertThat(t.evaluate(Map.of("input", new Secretive("x")))).isEqualTo("x");
    }

    @Test
    void reportsEvaluationErrorsWithTheExpressionText() {
        Template t = expressions.compile("Hello ${{ input.ticket.nope }}", TOP);
        assertThatThrownBy(() -> t.evaluate(vars()))
                .isInstanceOf(ExpressionException.class)
                .hasMessage("cannot evaluate `input.ticket.nope`: key 'nope' is not present in map.");
        Template div = expressions.compile("${{ 1 / (input.ticket.priority - 3) }}", TOP);
        assertThatThrownBy(() -> div.evaluate(vars()))
                .isInstanceOf(ExpressionException.class)
                .hasMessageStartingWith("cannot evaluate `1 / (input.ticket.priority - 3)`: ");
    }

    @Test
    void reportsAVariableThatWasNotProvided() {
        Template t = expressions.compile("${{ nodes.a.output }}", TOP);
        assertThatThrownBy(() -> t.evaluate(Map.of("input", Map.of())))
                .isInstanceOf(ExpressionException.class)
                .hasMessage("cannot evaluate `nodes.a.output`: no value for variable 'nodes' here");
    }

    @Test
    void evaluateBooleanRejectsOtherTypesClearly() {
        assertThat(expressions.compile("${{ size(input.ticket.tags) == 2 }}", TOP).evaluateBoolean(vars())).isTrue();
        Template notBool = expressions.compile("${{ input.ticket.body }}", TOP);
        assertThatThrownBy(() -> notBool.evaluateBoolean(vars()))
                .isInstanceOf(ExpressionException.class)
                .hasMessage("expected a boolean from `${{ input.ticket.body }}`, found the string 'printer on fire'");
    }

    @Test
    void listsReferencedNodesWithTheirOffsets() {
        Template t = expressions.compile("${{ nodes.draft.output }} and ${{ nodes['classify'].output.x + "
                + "(has(nodes.draft.status) ? '' : '') }}", TOP);
        assertThat(t.references()).containsExactly("draft", "classify");
        assertThat(t.referenceSites()).extracting(Template.Reference::offset).containsExactly(4, 34, 68);
        Template tree = expressions.compile(Map.of("a", List.of("${{ nodes.x.output }}")), TOP);
        assertThat(tree.references()).containsExactly("x");
    }

    @Test
    void isSafeToUseFromManyThreads() throws Exception {
        Template t = expressions.compile("${{ input.n * 2 }}", TOP);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Object>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int n = i;
                results.add(pool.submit(() -> expressions.compile("${{ input.n * 2 }}", TOP)
                        .evaluate(Map.of("input", Map.of("n", n)))));
            }
            for (int i = 0; i < results.size(); i++) {
                assertThat(results.get(i).get()).isEqualTo(2L * i);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(t.evaluate(Map.of("input", Map.of("n", 21)))).isEqualTo(42L);
    }
}
