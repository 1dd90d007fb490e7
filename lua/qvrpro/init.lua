return {version="0"}
