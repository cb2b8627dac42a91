"""Parses a ValueFlows JSON-LD export with rdflib and checks its vocabulary: every type is a
VF 1.0 class, every predicate a VF 1.0 property (rdf:type aside), every action a VF action,
every number an exact xsd:decimal. Prints the triple count and the count of each type."""

import sys
from collections import Counter

from rdflib import RDF, XSD, Graph, Literal, URIRef

VF = "https://w3id.org/valueflows/ont/vf#"
CLASSES = {
    "Agent", "Organization", "Person", "Process", "EconomicEvent", "EconomicResource",
    "Claim", "Measure", "Unit", "ResourceSpecification",
}
PROPERTIES = {
    "action", "provider", "receiver", "inputOf", "effortQuantity", "resourceQuantity",
    "hasPointInTime", "note", "name", "resourceClassifiedAs", "resourceConformsTo",
    "triggeredBy", "created", "settles", "resourceInventoriedAs", "toResourceInventoriedAs",
    "primaryAccountable", "conformsTo", "accountingQuantity", "trackingIdentifier",
    "hasNumericalValue", "hasUnit", "label", "symbol", "mediumOfExchange",
    "defaultUnitOfResource", "inScopeOf",
}
ACTIONS = {
    "work", "use", "consume", "cite", "transfer", "produce", "deliverService", "accept",
    "modify", "move", "pickup", "dropoff", "raise", "lower", "transferAllRights",
    "transferCustody", "combine", "separate", "copy",
}

graph = Graph()
graph.parse(sys.argv[1], format="json-ld")
assert len(graph) > 0, "no triples"
types = Counter()
for subject, predicate, obj in graph:
    if predicate == RDF.type:
        assert str(obj).startswith(VF), f"type outside vf: {obj}"
        name = str(obj)[len(VF):]
        assert name in CLASSES, f"not a VF class: {obj}"
        types[name] += 1
    else:
        assert str(predicate).startswith(VF), f"predicate outside vf: {predicate}"
        assert str(predicate)[len(VF):] in PROPERTIES, f"not a VF property: {predicate}"
for action in graph.objects(None, URIRef(VF + "action")):
    assert str(action).startswith(VF) and str(action)[len(VF):] in ACTIONS, action
for value in graph.objects(None, URIRef(VF + "hasNumericalValue")):
    assert isinstance(value, Literal) and value.datatype == XSD.decimal, value
for claim in graph.subjects(RDF.type, URIRef(VF + "Claim")):
    assert (claim, URIRef(VF + "triggeredBy"), None) in graph, f"claim without trigger: {claim}"
print(len(graph), " ".join(f"{name}={count}" for name, count in sorted(types.items())))
