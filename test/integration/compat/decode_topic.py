"""Reads a paysync topic from its beginning as a Python consumer would, with confluent-kafka's
Consumer, SchemaRegistryClient and AvroDeserializer (fastavro underneath), and prints one JSON line
per record with every value in an exact, typed text form: the JS test compares those with the
source database.

    python decode_topic.py <bootstrap servers> <registry URL> <topic> <consumer group>

A value is ["<Python type>", <text>] (lists and dicts hold such values; None is null): Decimal as
str, datetime/date/time as isoformat, bytes as hex, UUID as str, float as repr, int as str.
When AvroDeserializer raises for a record (a value one of fastavro's logical types cannot turn into
a Python object, e.g. time 24:00:00 or timestamp infinity), the record's line carries that error
and a second decode of it, "lenient": the same writer schema and fastavro's own logical readers,
each of which hands back the raw int with its error where it raises, so every other value is still
checked and the unconvertible ones are checked through their raw Avro value.
"""
import json
import sys
from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO
from uuid import UUID

from confluent_kafka import Consumer, KafkaError
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro import parse_schema, schemaless_reader
from fastavro.read import LOGICAL_READERS

READ_LIMIT_S = 120


class Unconverted:
    """A raw Avro value a logical reader refused."""

    def __init__(self, logical, raw, error):
        self.logical, self.raw, self.error = logical, raw, error


def describe(error):
    return f"{type(error).__name__}: {error}"


def exact(value):
    if value is None:
        return None
    if isinstance(value, Unconverted):
        return ["unconverted", {"logicalType": value.logical, "raw": exact(value.raw), "error": value.error}]
    if isinstance(value, bool):  # before int: bool is an int in Python
        return ["bool", str(value)]
    if isinstance(value, int):
        return ["int", str(value)]
    if isinstance(value, float):
        return ["float", repr(value)]
    if isinstance(value, Decimal):
        return ["Decimal", str(value)]
    if isinstance(value, (datetime, date, time)):  # datetime before date: it is a date too
        return [type(value).__name__, value.isoformat()]
    if isinstance(value, UUID):
        return ["UUID", str(value)]
    if isinstance(value, str):
        return ["str", value]
    if isinstance(value, bytes):
        return ["bytes", value.hex()]
    if isinstance(value, list):
        return ["list", [exact(item) for item in value]]
    if isinstance(value, dict):
        return ["dict", {name: exact(item) for name, item in value.items()}]
    raise TypeError(f"no exact form for {type(value).__name__}: {value!r}")


def lenient_decode(registry, data):
    """The record decoded with the writer schema, a logical value that does not convert left raw."""
    schema_id = int.from_bytes(data[1:5], "big")
    writer = parse_schema(json.loads(registry.get_schema(schema_id).schema_str))
    originals = dict(LOGICAL_READERS)

    def keeping_raw(logical, reader):
        def read(datum, writer_schema=None, reader_schema=None):
            try:
                return reader(datum, writer_schema, reader_schema)
            except Exception as error:  # what a reader raises is the caveat being recorded
                return Unconverted(logical, datum, describe(error))

        return read

    LOGICAL_READERS.update({logical: keeping_raw(logical, reader) for logical, reader in originals.items()})
    try:
        return schemaless_reader(BytesIO(data[5:]), writer, None)
    finally:
        LOGICAL_READERS.update(originals)


def main(bootstrap, registry_url, topic, group):
    registry = SchemaRegistryClient({"url": registry_url})
    deserializer = AvroDeserializer(registry)
    # A group of its own that never commits: it starts at the beginning (earliest), and the test deletes it.
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": "read_committed",
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        consumer.subscribe([topic])
        at_end = set()
        while len(at_end) < len(partitions):
            message = consumer.poll(READ_LIMIT_S)
            if message is None:
                raise SystemExit(f"no record nor end of partition within {READ_LIMIT_S} s; at end: {sorted(at_end)} of {sorted(partitions)}")
            if message.error():
                if message.error().code() != KafkaError._PARTITION_EOF:
                    raise SystemExit(f"consumer error: {message.error()}")
                at_end.add(message.partition())
                continue
            line = {"partition": message.partition(), "offset": message.offset(), "headers": {k: v.decode() for k, v in message.headers() or []}}
            line["key"] = exact(deserializer(message.key(), SerializationContext(topic, MessageField.KEY)))
            try:
                line["value"] = exact(deserializer(message.value(), SerializationContext(topic, MessageField.VALUE)))
            except Exception as error:  # recorded, and the record decoded leniently instead
                line["value"] = None
                line["error"] = describe(error)
                line["lenient"] = exact(lenient_decode(registry, message.value()))
            print(json.dumps(line), flush=True)
    finally:
        consumer.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])
