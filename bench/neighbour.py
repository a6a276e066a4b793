"""The noisy neighbour's servers for bench/faults.sh: a webhook receiver that takes every
connection and never answers, and a catalog URL that sends its document one byte a second.

    python3 bench/neighbour.py HOLE_PORT DRIP_PORT
"""
import socket
import sys
import threading
import time


def black_hole(port):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4096)
    held = []
    while True:
        connection, _ = listener.accept()
        held.append(connection)  # kept open, never read from, never answered


def drip(connection):
    try:
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
        while True:
            connection.sendall(b" ")
            time.sleep(1)
    except OSError:
        pass


def dripping(port):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(256)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=drip, args=(connection,), daemon=True).start()


threading.Thread(target=black_hole, args=(int(sys.argv[1]),), daemon=True).start()
dripping(int(sys.argv[2]))
